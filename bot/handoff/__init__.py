"""Human handoff to the ward's tổ công nghệ số cộng đồng: tickets, relay, team hours."""
