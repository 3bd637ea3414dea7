"""EHMI, the VANS successor, beyond the envelope: what an end-user application (EUA)
reports to the national delivery-status service (EDS). No I/O here."""
