"""Client dossier (客户档案) service."""
