"""HTTP requests written down as JSON, read into an HttpRequest: API Gateway events and plain requests.

Two shapes arrive: an API Gateway HTTP API (payload 2.0) event on AWS, and on GCP/Azure a
plain request, written down (samples, ``weavefn invoke``) as ``{method, url, headers, body}``.
What a body means (an upgrade request, an AdmissionReview, an SNS message) is for the route
that authenticates it to say (weavefn.webhooks).
"""

from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field

from weavefn.errors import FieldError, InvalidInputError
from weavefn.triggers.detect import is_apigw_v2
from weavefn.triggers.fields import decode_base64
from weavefn.triggers.http import HttpRequest
from weavefn.triggers.payload import PayloadModel, validate

WHAT = "HTTP request"


class _HttpContext(PayloadModel):
    method: str
    path: str


class _RequestContext(PayloadModel):
    http: _HttpContext
    request_id: str = Field(alias="requestId")


class ApiGatewayV2Event(PayloadModel):
    version: Literal["2.0"]
    raw_path: str = Field(alias="rawPath")
    headers: dict[str, str] = Field(default_factory=dict)
    query_string_parameters: dict[str, str] = Field(
        default_factory=dict, alias="queryStringParameters"
    )
    request_context: _RequestContext = Field(alias="requestContext")
    body: str | None = None
    is_base64_encoded: bool = Field(default=False, alias="isBase64Encoded")


class HttpRequestDocument(PayloadModel):
    method: str = Field(min_length=1)
    url: str = Field(min_length=1)
    headers: dict[str, str] = Field(default_factory=dict)
    body: str = ""


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _utf8(text: str) -> bytes:
    """The body's bytes; a lone surrogate (a JSON ``\\ud800`` escape) has no UTF-8 form."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        raise InvalidInputError(
            [FieldError("body", "is not valid UTF-8 text")], what=WHAT
        ) from None


def read_http(payload: object) -> HttpRequest:
    """Either request shape as an HttpRequest; the body is decoded from base64 when flagged."""
    if is_apigw_v2(payload):
        event = validate(ApiGatewayV2Event, payload, what=WHAT)
        text = event.body or ""
        if event.is_base64_encoded:
            body = decode_base64(text, path="body", what=WHAT)
        else:
            body = _utf8(text)
        return HttpRequest(
            method=event.request_context.http.method.upper(),
            path=event.raw_path,
            headers=_lower(event.headers),
            body=body,
            request_id=event.request_context.request_id,
            query=dict(event.query_string_parameters),
        )
    doc = validate(HttpRequestDocument, payload, what=WHAT)
    headers = _lower(doc.headers)
    url = urlsplit(doc.url)
    request_id = headers.get("function-execution-id") or headers.get("x-arr-log-id", "")
    return HttpRequest(
        method=doc.method.upper(),
        path=url.path or "/",
        headers=headers,
        body=_utf8(doc.body),
        request_id=request_id,
    )
