package main

import (
	"fmt"
	"net"
	neturl "net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// embeddedReadyTimeout bounds the wait for the embedded server to accept
// connections; it is ready in tens of milliseconds on a laptop.
const embeddedReadyTimeout = 10 * time.Second

// startEmbeddedNATS starts a JetStream server listening on addr (a
// loopback host:port; port 0 picks a free one) that keeps its data in
// dir. The caller must call shutdown.
func startEmbeddedNATS(addr, dir string) (srv *server.Server, err error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("embedded NATS address %q: must be a loopback address", addr)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS address %q: bad port", addr)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	srv, err = server.NewServer(&server.Options{
		ServerName: "okta-worker-embedded",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   dir,
		NoLog:      true,
		NoSigs:     true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(embeddedReadyTimeout) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded NATS on %s not ready after %s", addr, embeddedReadyTimeout)
	}
	return srv, nil
}

// connectNATS connects to url and keeps reconnecting for as long as the
// process runs: a worker that gives up on NATS is a worker that silently
// stops, so reconnects are unlimited and every state change is logged.
func connectNATS(url string, log *zap.Logger) (*nats.Conn, error) {
	nc, err := nats.Connect(url,
		nats.Name("okta-worker"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			// A nil error is our own Close at shutdown, not an outage.
			if err != nil {
				log.Warn("nats disconnected", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("nats reconnected", zap.String("url", c.ConnectedUrlRedacted()))
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w", redactURL(url), err)
	}
	return nc, nil
}

// redactURL drops credentials from a NATS URL list before it is logged
// or put in an error.
func redactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if u, err := neturl.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			u.User = neturl.User("redacted")
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}

// closeFlushTimeout bounds the last round trip to NATS at shutdown.
const closeFlushTimeout = 2 * time.Second

// closeNATS closes nc after a round trip to the server, so the acks and
// hand-backs the worker sent last have reached the server before the
// connection goes.
func closeNATS(nc *nats.Conn) {
	_ = nc.FlushTimeout(closeFlushTimeout)
	nc.Close()
}
