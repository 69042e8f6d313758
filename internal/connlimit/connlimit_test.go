package connlimit

import (
	"net"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestCap(t *testing.T) {
	n, why, err := Cap(env(map[string]string{EnvMaxConns: " 300 "}))
	if err != nil || n != 300 || why != "300 (STATIC_MAX_CONNECTIONS)" {
		t.Errorf("STATIC_MAX_CONNECTIONS=300: %d %q %v", n, why, err)
	}
	for _, v := range []string{"0", "-5", "many", "1e3"} {
		if _, _, err := Cap(env(map[string]string{EnvMaxConns: v})); err == nil || !strings.Contains(err.Error(), "STATIC_MAX_CONNECTIONS=") {
			t.Errorf("STATIC_MAX_CONNECTIONS=%q: %v, want an error naming the variable", v, err)
		}
	}
	n, why, err = Cap(env(nil))
	if err != nil || n < MinConns || !strings.Contains(why, "memory limit") {
		t.Errorf("computed cap: %d %q %v", n, why, err)
	}
}

func TestLimitsCap(t *testing.T) {
	for _, c := range []struct {
		l    Limits
		want int
	}{
		{Limits{Memory: 512 << 20, Files: 1 << 20}, 512 << 20 / MemoryShare / ConnMemory}, // memory bound
		{Limits{Memory: 64 << 30, Files: 20000}, 20000 - FDReserve},                       // descriptors bound
		{Limits{Memory: 1 << 20, Files: 100}, MinConns},                                   // tiny: the floor
		{Limits{}, 1 << 20}, // nothing known
	} {
		if got := c.l.Cap(); got != c.want {
			t.Errorf("%+v: cap %d, want %d", c.l, got, c.want)
		}
	}
	if l := ReadLimits(); l.Memory <= 0 || l.Files <= 0 {
		t.Errorf("ReadLimits on this machine: %+v", l)
	}
}

// At the cap Accept waits, and takes the next connection as soon as one
// closes.
func TestListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := (&Listener{MaxConns: 2}).WrapListener(inner)
	defer l.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	for range 3 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	first, second := <-accepted, <-accepted
	select {
	case <-accepted:
		t.Fatal("a third connection was accepted with max_conns 2")
	case <-time.After(200 * time.Millisecond):
	}
	_ = first.Close()
	select {
	case c := <-accepted:
		_ = c.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting connection was not accepted after one closed")
	}
	_ = second.Close()
	if err := (&Listener{}).Validate(); err == nil {
		t.Error("max_conns 0 validated")
	}
}
