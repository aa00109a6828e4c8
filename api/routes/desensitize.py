"""Desensitization as a service: any role may turn text into placeholders."""

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AnyRole, DesensitizerDep

router = APIRouter(prefix="/v1", tags=["desensitize"])


class DesensitizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=10_000, description="原文；不会被存储或记录。最长 10,000 字符（约 0.3 秒 CPU）。")


class EntityPublic(BaseModel):
    type: str
    start: int = Field(description="Offset of the value in the input text, in Unicode code points (not UTF-16 units).")
    end: int
    placeholder: str
    verified: bool = Field(description="false: masked because of its cue (身份证, 卡号 …) although its checksum fails — privacy first.")


class DesensitizeResponse(BaseModel):
    text: str
    entities: list[EntityPublic]


@router.post("/desensitize")
def desensitize(body: DesensitizeRequest, _caller: AnyRole, desensitizer: DesensitizerDep) -> DesensitizeResponse:
    """Replace personal information with placeholders (<PERSON_1>, <CN_MOBILE_1>, …)."""
    result = desensitizer.desensitize(body.text)
    return DesensitizeResponse(text=result.text, entities=[EntityPublic(**vars(e)) for e in result.entities])
