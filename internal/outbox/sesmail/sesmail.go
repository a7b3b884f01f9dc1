// Package sesmail sends docflow's emails through Amazon SES (API v2,
// SendEmail with simple content: subject and plain text in UTF-8), as the
// functions do on AWS. The sender's address or domain must be a verified
// SES identity in the region, and an account still in the SES sandbox
// delivers only to verified recipients.
package sesmail

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/docflow/docflow/internal/outbox"
)

// API is the part of the SES v2 client that Mailer uses.
type API interface {
	SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Mailer sends through SES. It implements outbox.Mailer.
type Mailer struct {
	SES  API
	From string // a verified identity: an address, or "Name <address>"
	// ConfigurationSet names an SES configuration set (event publishing,
	// a dedicated IP pool); "" for none.
	ConfigurationSet string
}

var _ outbox.Mailer = (*Mailer)(nil)

// Send implements outbox.Mailer. SES's refusals that no retry mends — a
// message rejected, a sender not verified, sending paused for the
// account — are permanent; throttling and SES's own failures are not.
func (m *Mailer) Send(ctx context.Context, e outbox.Email) error {
	utf8 := aws.String("UTF-8")
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(m.From),
		Destination:      &types.Destination{ToAddresses: e.To},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(e.Subject), Charset: utf8},
			Body:    &types.Body{Text: &types.Content{Data: aws.String(e.Text), Charset: utf8}},
		}},
	}
	if m.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(m.ConfigurationSet)
	}
	_, err := m.SES.SendEmail(ctx, in)
	if err == nil {
		return nil
	}
	var (
		rejected   *types.MessageRejected
		unverified *types.MailFromDomainNotVerifiedException
		paused     *types.SendingPausedException
		suspended  *types.AccountSuspendedException
		bad        *types.BadRequestException
		notFound   *types.NotFoundException
	)
	switch {
	case errors.As(err, &rejected), errors.As(err, &unverified), errors.As(err, &paused),
		errors.As(err, &suspended), errors.As(err, &bad), errors.As(err, &notFound):
		return outbox.Permanent(fmt.Errorf("发送被 Amazon SES 拒绝：%s", apiMessage(err)))
	}
	return fmt.Errorf("经 Amazon SES 发送失败：%w", err)
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}
