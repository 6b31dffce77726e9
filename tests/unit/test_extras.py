from __future__ import annotations

import pytest

from nebius_inference._extras import require_extra


def test_present_modules_pass() -> None:
    require_extra("pkg", "extra", "json", "email.utils")


@pytest.mark.parametrize(
    ("modules", "verb"),
    [(("no_such_module_xyz",), "is"), (("no_such_parent.child", "no_such_module_xyz"), "are")],
)
def test_missing_modules_name_the_extra(modules: tuple[str, ...], verb: str) -> None:
    with pytest.raises(
        ImportError, match=rf'{verb} not installed.*pip install "nebius-inference\[extra\]"'
    ):
        require_extra("pkg", "extra", *modules)
