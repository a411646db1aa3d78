"""Porting bugs ("mutants") applied to the MindSpore side or the conversion, and the runner that checks the parity
tests catch each one."""
