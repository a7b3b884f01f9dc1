// Package floors holds the smallest programs that link what docflow's
// functions link, one step at a time: hello (the Lambda runtime client),
// sdk (+ the S3 and DynamoDB clients), goldmark (+ the Markdown parser as
// notice configures it) and pdf (+ the PDF object writer and the font
// parser that notice/pdf uses). cmd/bench builds them in the same run as
// the functions, with the same flags, and measures their size and start
// beside each function's. Each starts the Lambda runtime loop, so the start
// measurement stops at the same point for all of them.
package floors
