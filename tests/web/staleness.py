"""Whether the browser has left the page an element was found on (Selenium)."""

from __future__ import annotations

from typing import Any

# Chromium sometimes reports a node of the page just replaced as an inspector error instead
# of a stale element, depending on when in the navigation it is asked (seen with 156).
_GONE = "does not belong to the document"


def stale(element: Any) -> bool:
    """True once ``element`` belongs to a page the browser has left."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.tag_name  # noqa: B018 - touching it is the test
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if _GONE in str(exc.msg):
            return True
        raise
    return False
