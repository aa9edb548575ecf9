"""Inner circulation: supervisors, slots, bookings, case material, resources, events, hours."""
