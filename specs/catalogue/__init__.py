"""The document-type catalogue: mDL, age attestation, resident card and e-certificates, as data files."""

from specs.catalogue.model import ClaimDefinition, Display, DocumentType, Format
from specs.catalogue.registry import Catalogue, parse_type

__all__ = ["Catalogue", "ClaimDefinition", "Display", "DocumentType", "Format", "parse_type"]
