"""automix: automatic multitrack mixing for REAPER projects.

Importing the package does nothing else: no REAPER connection, no model loading.
"""

__version__ = "0.1.0"
