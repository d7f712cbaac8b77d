"""One router per resource; each handler parses, calls one domain function, and maps errors."""
