"""The pure kernel: errors, money and ids that domain code may import (no framework, no I/O)."""
