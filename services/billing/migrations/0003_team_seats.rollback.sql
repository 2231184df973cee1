DROP TABLE team_seats;
