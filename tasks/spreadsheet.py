"""The task list's columns as a spreadsheet names them: one list that the import reads and the ledger
export (台账) writes, so that an exported ledger imports back."""

# (task field, header)
COLUMNS = [
    ("code", "编号"),
    ("special_action", "专项行动"),
    ("title", "任务"),
    ("description", "具体举措/内容"),
    ("target", "目标"),
    ("lead_unit", "牵头单位"),
    ("cooperating_units", "配合单位"),
    ("responsible_leader", "责任领导"),
    ("start_date", "开始日期"),
    ("deadline", "完成时限"),
    ("milestones", "节点/里程碑"),
]


def format_milestones(milestones) -> str:
    """One milestone per line, `YYYY-MM-DD 标题`, in the order given (the import reads these lines back)."""
    return "\n".join(f"{milestone.due_date.isoformat()} {milestone.title}" for milestone in milestones)
