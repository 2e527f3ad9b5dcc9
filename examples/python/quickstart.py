import torch, codelength

torch.manual_seed(0)
logits = torch.randn(2, 512, 32000).mul(4).bfloat16()           # a model's output, shape (B, T, V)
targets = torch.distributions.Categorical(logits=logits.float()).sample()
targets[:, :16] = -100                                          # ignore_index, as in PyTorch
result = codelength.score(logits, targets)                      # reads the tensor in place
print(f"{result.total_bits:.1f} bits, {result.bits_per_token:.3f} bits/token, Min-K% {result.min_k_percent:.3f} nats")
stream = codelength.encode(logits[0, 16:], targets[0, 16:])     # a real range-coded stream
assert (codelength.decode(logits[0, 16:], stream.data) == targets[0, 16:].numpy()).all()
print(f"{len(stream.data)} bytes: {stream.coded_bits / 8:.0f} coded for {stream.ideal_bits / 8:.1f} ideal, {stream.header_bits // 8} header")
