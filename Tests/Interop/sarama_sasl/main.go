// SASL and TLS with Sarama (Debian's golang-github-shopify-sarama-dev 1.22), run by test_security_authn.py.
// Sarama 1.22 sends PLAIN after a SaslHandshake v0, as raw length-prefixed tokens, and SCRAM through SaslHandshake
// v1 + SaslAuthenticate with a SCRAMClient the application supplies (a minimal RFC 5802 client below, test code).
// Usage: sarama-sasl BOOTSTRAP TOPIC MECHANISM USER PASSWORD [CA_PEM]. Produces 5 messages and reads them back;
// prints "ok" or exits non-zero with the error.
package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"hash"
	"io/ioutil"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

type scramClient struct {
	newHash         func() hash.Hash
	user, password  string
	nonce           string
	clientFirstBare string
	authMessage     string
	salted          []byte
	step            int
}

func (c *scramClient) Begin(user, password, authzID string) error {
	b := make([]byte, 18)
	rand.Read(b)
	c.user, c.password, c.nonce = user, password, base64.RawStdEncoding.EncodeToString(b)
	return nil
}

func (c *scramClient) mac(key []byte, data string) []byte {
	m := hmac.New(c.newHash, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// pbkdf2 is RFC 8018's PBKDF2 with one output block (the hash length), which is what SCRAM's Hi() is.
func (c *scramClient) pbkdf2(salt []byte, iterations int) []byte {
	u := c.mac([]byte(c.password), string(salt)+"\x00\x00\x00\x01")
	out := append([]byte(nil), u...)
	for i := 1; i < iterations; i++ {
		u = c.mac([]byte(c.password), string(u))
		for j := range out {
			out[j] ^= u[j]
		}
	}
	return out
}

func (c *scramClient) Step(challenge string) (string, error) {
	c.step++
	switch c.step {
	case 1:
		c.clientFirstBare = "n=" + c.user + ",r=" + c.nonce
		return "n,," + c.clientFirstBare, nil
	case 2:
		fields := map[string]string{}
		for _, part := range strings.Split(challenge, ",") {
			if len(part) > 2 {
				fields[part[:1]] = part[2:]
			}
		}
		if !strings.HasPrefix(fields["r"], c.nonce) {
			return "", fmt.Errorf("server nonce does not extend ours")
		}
		salt, err := base64.StdEncoding.DecodeString(fields["s"])
		if err != nil {
			return "", err
		}
		iterations, err := strconv.Atoi(fields["i"])
		if err != nil {
			return "", err
		}
		c.salted = c.pbkdf2(salt, iterations)
		withoutProof := "c=biws,r=" + fields["r"]
		c.authMessage = c.clientFirstBare + "," + challenge + "," + withoutProof
		clientKey := c.mac(c.salted, "Client Key")
		h := c.newHash()
		h.Write(clientKey)
		signature := c.mac(h.Sum(nil), c.authMessage)
		for i := range clientKey {
			clientKey[i] ^= signature[i]
		}
		return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(clientKey), nil
	default:
		expected := "v=" + base64.StdEncoding.EncodeToString(c.mac(c.mac(c.salted, "Server Key"), c.authMessage))
		if challenge != expected {
			return "", fmt.Errorf("server signature does not verify")
		}
		return "", nil
	}
}

func (c *scramClient) Done() bool { return c.step >= 3 }

func main() {
	if len(os.Args) < 6 {
		fmt.Println("usage: sarama-sasl BOOTSTRAP TOPIC MECHANISM USER PASSWORD [CA_PEM]")
		os.Exit(2)
	}
	broker, topic, mechanism, user, password := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V1_0_0_0
	cfg.Producer.Return.Successes = true
	cfg.Net.SASL.Enable = true
	cfg.Net.SASL.User = user
	cfg.Net.SASL.Password = password
	cfg.Net.SASL.Mechanism = sarama.SASLMechanism(mechanism)
	switch mechanism {
	case "SCRAM-SHA-256":
		cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{newHash: sha256.New} }
	case "SCRAM-SHA-512":
		cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{newHash: sha512.New} }
	}
	if len(os.Args) > 6 {
		pem, err := ioutil.ReadFile(os.Args[6])
		if err != nil {
			fail(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		cfg.Net.TLS.Enable = true
		cfg.Net.TLS.Config = &tls.Config{RootCAs: pool, ServerName: "localhost"}
	}
	p, err := sarama.NewSyncProducer([]string{broker}, cfg)
	if err != nil {
		fail(err)
	}
	for i := 0; i < 5; i++ {
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("s" + strconv.Itoa(i))}); err != nil {
			fail(err)
		}
	}
	p.Close()
	c, err := sarama.NewConsumer([]string{broker}, cfg)
	if err != nil {
		fail(err)
	}
	pc, err := c.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		fail(err)
	}
	for i := 0; i < 5; i++ {
		select {
		case m := <-pc.Messages():
			if string(m.Value) != "s"+strconv.Itoa(i) {
				fail(fmt.Errorf("message %d is %q", i, m.Value))
			}
		case <-time.After(20 * time.Second):
			fail(fmt.Errorf("message %d did not arrive", i))
		}
	}
	pc.Close()
	c.Close()
	fmt.Println("ok")
}

func fail(err error) {
	fmt.Println("FAIL", err)
	os.Exit(1)
}
