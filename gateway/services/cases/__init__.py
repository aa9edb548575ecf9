"""Cases: a school's own record of a concern, from discovery to closure."""
