"""A Label Studio project's title and labeling config, read through the API (`init --project`)."""
from __future__ import annotations

from lsrules.errors import Location, LsrulesError
from lsrules.labelstudio.writeback import LabelStudio, PermanentError, TransientError


def fetch_project(url: str, project_id: int, timeout: float = 30) -> tuple[str, str]:
    """(title, labeling config XML) of a project; a wrong id or server is one line, exit 2."""
    try:
        with LabelStudio(url, timeout=timeout) as label_studio:
            project = label_studio.project(project_id)
    except PermanentError as error:  # 404 for a wrong id, 401 for a wrong token
        raise LsrulesError(f"Label Studio refused to read project {project_id}: {error}",
                           Location(url)) from None
    except TransientError as error:
        raise LsrulesError(f"cannot reach Label Studio: {error}", Location(url)) from None
    config = project.get("label_config")
    if not isinstance(config, str) or not config.strip():
        raise LsrulesError(f"project {project_id} has no labeling config yet", Location(url))
    title = project.get("title")
    return (title if isinstance(title, str) else ""), config
