"""The pydantic base of every platform payload model, and validation that names each field.

Parsers import it when a payload arrives: a function's import does not build payload models.
"""

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from weavefn.errors import FieldError, InvalidInputError
from weavefn.triggers.fields import join


class PayloadModel(BaseModel):
    """A platform payload: validated once, unknown fields ignored, immutable."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True, defer_build=True)


M = TypeVar("M", bound=PayloadModel)


def _loc_path(prefix: str, loc: tuple[int | str, ...]) -> str:
    path = prefix
    for part in loc:
        # pydantic names union members and tagged choices in loc; a user never wrote those
        if isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "bool"}):
            continue
        path = join(path, part)
    return path or "(root)"


def validate(model: type[M], data: object, *, path: str = "", what: str) -> M:
    """Validate ``data`` into ``model``, reporting every problem with its full path."""
    if not isinstance(data, dict):
        raise InvalidInputError([FieldError(path or "(root)", "expected an object")], what=what)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, FieldError] = {}
        for item in exc.errors(include_url=False, include_input=False):
            where = _loc_path(path, item["loc"])
            errors.setdefault(where, FieldError(where, item["msg"].removeprefix("Value error, ")))
        raise InvalidInputError(errors.values(), what=what) from None
    except RecursionError:  # an enum's error message reprs the value, however deep it is
        raise InvalidInputError(
            [FieldError(path or "(root)", "is nested too deeply")], what=what
        ) from None
