from rest_framework import serializers

from tasks.api.serializers import NamedRefSerializer, PersonRefSerializer, UnitRefSerializer

from ..models import SupervisionGroup


class SupervisionGroupSerializer(serializers.ModelSerializer):
    issuing_unit = UnitRefSerializer(read_only=True)
    leader = PersonRefSerializer(read_only=True, allow_null=True)
    members = PersonRefSerializer(many=True, read_only=True)
    scope_units = UnitRefSerializer(many=True, read_only=True)
    scope_special_actions = NamedRefSerializer(many=True, read_only=True)

    class Meta:
        model = SupervisionGroup
        fields = [
            "id",
            "name",
            "issuing_unit",
            "leader",
            "members",
            "scope_units",
            "scope_special_actions",
            "order_prefix",
            "is_active",
        ]
        read_only_fields = fields
