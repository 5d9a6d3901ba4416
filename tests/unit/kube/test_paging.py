"""The list walk: pages in order, an expired token continued or restarted, never an item twice."""

from __future__ import annotations

from typing import Any

import pytest
from weavefn.errors import InvalidInputError, UnavailableError
from weavefn.kube.paging import ListExpiredError, iter_pages, list_all
from weavefn.kube.port import LabelSelector, Page
from weavefn.kube.real_paths import label_selector


def obj(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "a"}}


class Scripted:
    """Answers each call with the next scripted page or error; records the tokens sent."""

    def __init__(self, *answers: Page | Exception) -> None:
        self.answers = list(answers)
        self.tokens: list[str | None] = []

    def __call__(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        selector: LabelSelector | None = None,
        limit: int = 500,
        continue_token: str | None = None,
    ) -> Page:
        self.tokens.append(continue_token)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_pages_are_followed_until_no_token() -> None:
    lister = Scripted(Page([obj("a"), obj("b")], "t1"), Page([obj("c")], None))
    assert [o["metadata"]["name"] for o in list_all(lister, "v1", "ConfigMap")] == ["a", "b", "c"]
    assert lister.tokens == [None, "t1"]


def test_an_expired_token_continues_with_the_servers_inconsistent_token() -> None:
    lister = Scripted(
        Page([obj("a")], "t1"),
        ListExpiredError("gone", continue_token="t-inconsistent"),
        Page([obj("b")], None),
    )
    assert len(list_all(lister, "v1", "ConfigMap")) == 2
    assert lister.tokens == [None, "t1", "t-inconsistent"]


def test_an_expired_token_without_one_restarts_and_skips_what_was_seen() -> None:
    lister = Scripted(
        Page([obj("a"), obj("b")], "t1"),
        ListExpiredError("gone"),
        Page([obj("a"), obj("b")], "t2"),
        Page([obj("c")], None),
    )
    pages = list(iter_pages(lister, "v1", "ConfigMap"))
    assert [[o["metadata"]["name"] for o in p] for p in pages] == [["a", "b"], [], ["c"]]
    assert lister.tokens == [None, "t1", None, "t2"]


def test_restarts_are_bounded() -> None:
    lister = Scripted(*[Page([obj("a")], "t"), ListExpiredError("gone")] * 4)
    with pytest.raises(UnavailableError, match="expired 3 times"):
        list_all(lister, "v1", "ConfigMap")


def test_a_first_page_that_is_gone_is_not_retried_here() -> None:
    with pytest.raises(ListExpiredError):
        list_all(Scripted(ListExpiredError("gone", continue_token="x")), "v1", "ConfigMap")


@pytest.mark.parametrize(
    ("selector", "text"),
    [
        pytest.param({"b": "2", "a": "1"}, "a=1,b=2", id="equality-sorted"),
        pytest.param({"app": frozenset({"y", "x"})}, "app in (x,y)", id="set-sorted"),
        pytest.param({"m": "w", "i": frozenset({"c1"})}, "i in (c1),m=w", id="mixed"),
    ],
)
def test_label_selectors_render_equality_and_set_forms(selector: LabelSelector, text: str) -> None:
    assert label_selector(selector) == text


@pytest.mark.parametrize(
    "selector",
    [{"app": frozenset()}, {"app": frozenset({"a,b"})}, {"app": "x)"}],
    ids=["empty-set", "comma-in-value", "paren"],
)
def test_selectors_that_would_change_meaning_are_refused(selector: LabelSelector) -> None:
    with pytest.raises(InvalidInputError, match=r"selector\.app"):
        label_selector(selector)
