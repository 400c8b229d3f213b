package main

import (
	"flag"
	"fmt"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logFlags choose the process logger; cmd builds it once and hands it to
// every component.
type logFlags struct {
	level  string
	format string
}

func (f *logFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.format, "log-format", "json", "json or console")
}

func (f logFlags) build() (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(f.level)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	var cfg zap.Config
	switch f.format {
	case "json":
		cfg = zap.NewProductionConfig()
	case "console":
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
	default:
		return nil, fmt.Errorf("--log-format %q: want json or console", f.format)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Sampling = nil
	return cfg.Build()
}
