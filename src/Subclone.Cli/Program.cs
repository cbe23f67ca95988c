using TorchSharp;
var a = torch.randn(1024, 1024);
var sw = System.Diagnostics.Stopwatch.StartNew();
for (int i = 0; i < 20; i++) { using var c = torch.matmul(a, a); }
Console.WriteLine($"threads {torch.get_num_threads()} GFLOP/s {20 * 2.0 * 1024 * 1024 * 1024 / sw.Elapsed.TotalSeconds / 1e9:F1}");
