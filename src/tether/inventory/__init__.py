"""Every Python environment on a machine: found without running anything found on disk,
then read for its distributions, the files they own and the code run at start-up.

:mod:`.discover` finds environments and reads them into the model of :mod:`.models`;
:mod:`.search`, :mod:`.derive`, :mod:`.files` and :mod:`.inspect` answer the commands
of the same names from it. Rendering is :mod:`tether.formats.inventory`'s.
"""

from __future__ import annotations
