"""Report suite for WhatsApp active messaging."""
