// Package api serves Jejak over HTTP with labstack/echo: the xAPI resources
// under /xapi. It depends on package lrs only; the views and the write path
// are given to it as small interfaces.
//
// Every error reaches the client through one handler (errorHandler) that
// maps lrs error codes to HTTP statuses; messages for the client's own
// mistakes are precise, ours are "internal error" and logged.
package api
