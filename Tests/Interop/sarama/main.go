// Interop check with Sarama, the Go client (Debian's golang-github-shopify-sarama-dev 1.22), run by
// test_sarama.py: keyed messages round-trip at Sarama's default protocol version (0.8.2: Produce v0 with magic-0
// message sets, Fetch v0) and at 0.10, 1.0 and 2.1 with each codec Sarama 1.22 can send to a Kafka 2.1+ broker
// (its zstd uses Produce v3, which Kafka rejects with UNSUPPORTED_COMPRESSION_TYPE), then a consumer group reads
// a topic. Usage: sarama-check BOOTSTRAP TOPIC_PREFIX. Prints "ok NAME" or "FAIL NAME reason" per step.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

func roundTrip(broker, topic string, version sarama.KafkaVersion, codec sarama.CompressionCodec, n int) error {
	cfg := sarama.NewConfig()
	cfg.Version = version
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Compression = codec
	p, err := sarama.NewSyncProducer([]string{broker}, cfg)
	if err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	for i := 0; i < n; i++ {
		_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder("k" + strconv.Itoa(i%7)), Value: sarama.StringEncoder("v" + strconv.Itoa(i))})
		if err != nil {
			return fmt.Errorf("send %d: %w", i, err)
		}
	}
	p.Close()
	c, err := sarama.NewConsumer([]string{broker}, cfg)
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	defer c.Close()
	parts, err := c.Partitions(topic)
	if err != nil {
		return err
	}
	got := 0
	for _, part := range parts {
		pc, err := c.ConsumePartition(topic, part, sarama.OffsetOldest)
		if err != nil {
			return fmt.Errorf("consume partition %d: %w", part, err)
		}
		cl, err := sarama.NewClient([]string{broker}, cfg)
		if err != nil {
			return err
		}
		hw, err := cl.GetOffset(topic, part, sarama.OffsetNewest)
		cl.Close()
		if err != nil {
			return err
		}
		timeout := time.After(10 * time.Second)
	loop:
		for {
			if hw == 0 {
				break
			}
			select {
			case m := <-pc.Messages():
				got++
				if m.Offset+1 >= hw {
					break loop
				}
			case e := <-pc.Errors():
				return fmt.Errorf("partition %d: %v", part, e)
			case <-timeout:
				return fmt.Errorf("partition %d: timeout after %d messages", part, got)
			}
		}
		pc.Close()
	}
	if got != n {
		return fmt.Errorf("read %d of %d", got, n)
	}
	return nil
}

type handler struct {
	mu    sync.Mutex
	count int
	done  chan struct{}
	want  int
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		s.MarkMessage(m, "")
		h.mu.Lock()
		h.count++
		if h.count == h.want {
			close(h.done)
		}
		h.mu.Unlock()
	}
	return nil
}

func group(broker, topic, prefix string, n int) error {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_0_0_0
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	g, err := sarama.NewConsumerGroup([]string{broker}, prefix+"-group", cfg)
	if err != nil {
		return err
	}
	defer g.Close()
	h := &handler{done: make(chan struct{}), want: n}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, h); err != nil {
				fmt.Println("consume:", err)
				return
			}
		}
	}()
	select {
	case <-h.done:
	case <-ctx.Done():
		return fmt.Errorf("group read %d of %d", h.count, n)
	}
	return nil
}

func main() {
	broker, prefix := os.Args[1], os.Args[2]
	fail := false
	lastTopic := ""
	for _, c := range []struct {
		name  string
		v     sarama.KafkaVersion
		codec sarama.CompressionCodec
	}{
		{"default", sarama.MinVersion, sarama.CompressionNone},
		{"default-gzip", sarama.MinVersion, sarama.CompressionGZIP},
		{"0.10-snappy", sarama.V0_10_2_0, sarama.CompressionSnappy},
		{"1.0-lz4", sarama.V1_0_0_0, sarama.CompressionLZ4},
		{"2.1-none", sarama.V2_1_0_0, sarama.CompressionNone},
	} {
		topic := prefix + "-" + c.name
		lastTopic = topic
		if err := roundTrip(broker, topic, c.v, c.codec, 300); err != nil {
			fmt.Println("FAIL", c.name, err)
			fail = true
		} else {
			fmt.Println("ok", c.name)
		}
	}
	if err := group(broker, lastTopic, prefix, 300); err != nil {
		fmt.Println("FAIL group", err)
		fail = true
	} else {
		fmt.Println("ok group")
	}
	if fail {
		os.Exit(1)
	}
}
