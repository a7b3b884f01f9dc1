// Package robot posts messages through the group robots of 企业微信
// (WeCom) and 钉钉 (DingTalk), in the formats their documentation gives:
//
//   - 企业微信 群机器人: POST the webhook URL
//     {"msgtype":"text","text":{"content":"…"}}; the answer is
//     {"errcode":0,"errmsg":"ok"}. A text holds at most 2,048 bytes.
//   - 钉钉 自定义机器人: POST the webhook URL
//     {"msgtype":"text","text":{"content":"…"}}; with 加签 (a secret
//     beginning SEC), the URL also carries timestamp (milliseconds) and
//     sign, the Base64 of HMAC-SHA256 over "timestamp\nsecret" keyed by
//     the secret, URL-encoded; the answer is {"errcode":0,"errmsg":"ok"}.
//     A robot with 关键词 security posts only texts containing one: every
//     docflow message starts with its kind in 【】 and carries the case.
package robot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/docflow/docflow/internal/outbox"
	"github.com/docflow/docflow/internal/workflow"
)

// MaxText is the most bytes of text a post carries (企业微信's limit on a
// text message, the smaller of the two); a longer text is cut, with a
// note that the rest is in docflow.
const MaxText = 2048

// Client posts through group robots. It implements outbox.Poster.
type Client struct {
	HTTP *http.Client     // nil: a client with a 30 s timeout
	Now  func() time.Time // the signature's timestamp; nil: time.Now
}

var _ outbox.Poster = (*Client)(nil)

// Text is the body both robots take for a plain text message.
type Text struct {
	MsgType string `json:"msgtype"`
	Text    struct {
		Content string `json:"content"`
	} `json:"text"`
}

// Answer is what both robots reply.
type Answer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Sign is 钉钉's signature of a post at timestamp (milliseconds since
// 1970) with secret.
func Sign(timestamp int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d\n%s", timestamp, secret)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Post implements outbox.Poster.
func (c *Client) Post(ctx context.Context, r workflow.Robot, text string) error {
	u, err := url.Parse(r.URL)
	if err != nil {
		return outbox.Permanent(fmt.Errorf("群机器人地址无效：%v", err))
	}
	switch r.Kind {
	case workflow.WeCom:
	case workflow.DingTalk:
		if r.Secret != "" {
			now := time.Now
			if c.Now != nil {
				now = c.Now
			}
			ts := now().UnixMilli()
			q := u.Query()
			q.Set("timestamp", strconv.FormatInt(ts, 10))
			q.Set("sign", Sign(ts, r.Secret))
			u.RawQuery = q.Encode()
		}
	default:
		return outbox.Permanent(fmt.Errorf("不认识的群机器人类型「%s」", r.Kind))
	}
	var body Text
	body.MsgType = "text"
	body.Text.Content = cut(text, MaxText)
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(b))
	if err != nil {
		return outbox.Permanent(fmt.Errorf("群机器人地址无效：%v", err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		// The URL carries the robot's access token: say where, not what.
		return fmt.Errorf("%s群机器人（%s）无法连接：%w", r.Kind.Label(), u.Host, unwrapURL(err))
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s群机器人返回 HTTP %d：%s", r.Kind.Label(), resp.StatusCode, cut(string(data), 200))
	}
	var a Answer
	if err := json.Unmarshal(data, &a); err != nil {
		return fmt.Errorf("%s群机器人的答复无法读取：%s", r.Kind.Label(), cut(string(data), 200))
	}
	if a.ErrCode != 0 {
		return fmt.Errorf("%s群机器人拒绝了消息（errcode %d：%s）", r.Kind.Label(), a.ErrCode, a.ErrMsg)
	}
	return nil
}

// unwrapURL drops the *url.Error around a transport error, which would
// repeat the URL and with it the robot's token.
func unwrapURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// cut shortens s to at most n bytes, on a character boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const more = "…（全文见 docflow）"
	s = s[:n-len(more)]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + more
}
