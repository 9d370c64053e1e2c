"""Signed FileAPI download links, computed here: `url()` runs for every row of a list, so no request per link.

The format has one home, the workspace package `signed_links` (packages/signed_links/), which FileAPI
uses too; tests/test_signed_links.py proves that a real FileAPI accepts the links made here and refuses
tampered or expired ones.
"""

from signed_links import signature, signed_query

__all__ = ["signature", "signed_query"]
