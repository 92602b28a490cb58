"""Signed case packages for police liaison: STIX 2.1, GraphML, i2 CSV and FollowTheMoney.

Every format reads one visibility-filtered `CaseView` (view.py) through one
writer shape (common.py); package.py zips, hashes and signs; verify.py checks.
"""
