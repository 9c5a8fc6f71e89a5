"""Reasoning validation (seed step 5): does the exported model keep the THINK contract?"""
