"""Exchange with the 12345 centre and the upper 好差评 platforms: results pushed out, tickets and callbacks in."""
