"""/api/schema/ (apart from schema.py: drf-spectacular's views import the settings' AutoSchema)."""

from drf_spectacular.views import SpectacularAPIView


class SchemaView(SpectacularAPIView):
    """/api/schema/: `curl -OJ` saves it as winteraction-openapi.yaml (or .json)."""

    def _get_filename(self, request, version):
        return "winteraction-openapi." + self.perform_content_negotiation(request, force=True)[0].format
