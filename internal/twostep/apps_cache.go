package twostep

import (
	"context"
	"sync"
	"time"
)

// appCache keeps the forward-auth hosts in memory for a short while, so the
// check that runs on every request to a protected app reads nothing but the
// session. A change made on this instance is seen at once; one made on another
// instance within the cache's lifetime (Settings.AppsCacheTTL).
type appCache struct {
	mu      sync.Mutex
	idx     *appIndex
	loaded  time.Time
	version uint64 // bumped by forget, so a load that raced a change is not kept
}

func newAppCache() *appCache { return &appCache{} }

// forget drops what is cached (after an app was created or deleted here).
func (c *appCache) forget() {
	c.mu.Lock()
	c.idx, c.version = nil, c.version+1
	c.mu.Unlock()
}

// appIndex finds apps by host, client id and id.
type appIndex struct {
	byHost   map[string]*App
	byClient map[string]*App
	byID     map[int64]*App
}

// appForHost returns the app protecting host (exactly, or host without its
// port), or nil.
func (s *Service) appForHost(ctx context.Context, host string) (*App, error) {
	idx, err := s.apps.index(ctx, s)
	if err != nil {
		return nil, err
	}
	for _, h := range hostCandidates(host) {
		if app := idx.byHost[h]; app != nil {
			return app, nil
		}
	}
	return nil, nil
}

// index returns the apps, reading them again when the cache is older than
// Settings.AppsCacheTTL. The apps handed out must not be changed.
func (c *appCache) index(ctx context.Context, s *Service) (*appIndex, error) {
	now := s.clock.Now()
	c.mu.Lock()
	if c.idx != nil && now.Sub(c.loaded) < s.set.AppsCacheTTL && !now.Before(c.loaded) {
		idx := c.idx
		c.mu.Unlock()
		return idx, nil
	}
	v := c.version
	c.mu.Unlock()
	list, err := s.store.ListApps(ctx)
	if err != nil {
		return nil, err
	}
	idx := &appIndex{byHost: map[string]*App{}, byClient: map[string]*App{}, byID: map[int64]*App{}}
	for i := range list {
		a := &list[i]
		for _, h := range a.Hosts {
			idx.byHost[h] = a
		}
		if a.ClientID != "" {
			idx.byClient[a.ClientID] = a
		}
		idx.byID[a.ID] = a
	}
	c.mu.Lock()
	if c.version == v {
		c.idx, c.loaded = idx, now
	}
	c.mu.Unlock()
	return idx, nil
}
