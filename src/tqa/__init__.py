"""tqa: the district teaching-quality analysis pipeline (区域教学质量分析)."""

__version__ = "0.1.0"
