"""Talking to EHMI's central services over HTTPS: OAuth2 tokens, EDS and EER.

Every call is mutual TLS with the client certificate the operator configures, and carries
a sender-constrained OAuth2 access token (client credentials) as the EHMI security
architecture asks. Errors are typed: :class:`~medcom_adapter.errors.EhmiUnavailable` may be
retried, :class:`~medcom_adapter.errors.EhmiAuthRefused` needs the operator,
:class:`~medcom_adapter.errors.EhmiRefused` names a request the service will never take.
"""
