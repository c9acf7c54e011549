// Diagrams module
