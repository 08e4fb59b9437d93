"""Find me: a selfie in, the photos of that person out; the selfie is never stored."""
