"""The admin and tenant-state HTTP routes, their access middleware and their OpenAPI document."""
