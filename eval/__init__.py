"""Offline evaluation harness and labelled cases for the marketing agent."""
