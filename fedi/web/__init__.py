"""Server-rendered pages for teachers and ministries."""
