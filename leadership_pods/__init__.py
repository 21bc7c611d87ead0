"""Leadership Pods: leadership skill pods for residency programs, as an LTI 1.3 tool."""

__version__ = "0.1.0"
