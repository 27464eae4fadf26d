"""Interactive exploration in Jupyter: :func:`explore` and the state behind it.

The explorer's computation (:class:`ExplorerState`) is plain Python over the public API; the widget
wiring (:func:`explore`) needs the optional ``ipywidgets`` (``pip install "topotheory[explore]"``)
and is imported lazily, so ``import topotheory`` loads neither ipywidgets nor matplotlib.
"""

from . import state, widgets

__all__ = state.__all__ + widgets.__all__

from .state import *  # noqa: F401,F403
from .widgets import *  # noqa: F401,F403
