"""Delivery channels: panel polling and streaming, WebSocket and SSE, Web Push. These do the I/O."""
