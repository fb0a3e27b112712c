//! NLRI prefix encoding (RFC 4271 §4.3): a length octet and the significant address octets.
