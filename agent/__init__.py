"""Offline marketing agent."""
