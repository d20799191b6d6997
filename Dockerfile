# Build: docker build -t jejak .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/jejak ./cmd/jejak

FROM debian:bookworm-slim
RUN useradd --system --home /var/lib/jejak jejak && mkdir -p /var/lib/jejak && chown jejak /var/lib/jejak
COPY --from=build /out/jejak /usr/local/bin/jejak
USER jejak
WORKDIR /var/lib/jejak
ENV JEJAK_DATA=/var/lib/jejak JEJAK_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["jejak"]
CMD ["serve"]
