"""The HTTP gateway: the native API under /v1 and GA4GH WES 1.1 under /ga4gh/wes/v1."""
