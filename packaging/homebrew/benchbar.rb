# Homebrew cask for BenchBar's .dmg (made by scripts/package-macos.sh), ready for a tap:
# copy it into <tap>/Casks/, set `url` to the release's .dmg and `sha256` to its checksum
# (`shasum -a 256 BenchBar_*.dmg`). The .dmg holds BenchBar.app; the `benchbar` CLI is inside it,
# beside MLX's Metal library (Contents/MacOS), and is linked onto PATH.
cask "benchbar" do
  version "0.1.0"
  sha256 :no_check # replace with the release .dmg's SHA-256

  url "https://example.invalid/benchbar/releases/download/v#{version}/BenchBar_#{version}_aarch64.dmg"
  name "BenchBar"
  desc "Benchmark local Qwen3 inference on MLX from the menu bar"
  homepage "https://example.invalid/benchbar"

  # BenchBar has no updater of its own: Homebrew updates it.
  auto_updates false
  depends_on arch: :arm64
  # The bundled mlx.metallib is built for macOS 14 (tauri.conf.json minimumSystemVersion).
  depends_on macos: ">= :sonoma"

  app "BenchBar.app"
  binary "#{appdir}/BenchBar.app/Contents/MacOS/benchbar"

  uninstall launchctl: "BenchBar",
            quit:      "dev.benchbar.app"

  zap trash: [
    "~/Library/Application Support/benchbar",
    "~/Library/Caches/dev.benchbar.app",
    "~/Library/LaunchAgents/BenchBar.plist",
    "~/Library/Preferences/dev.benchbar.app.plist",
    "~/Library/Saved Application State/dev.benchbar.app.savedState",
    "~/Library/WebKit/dev.benchbar.app",
  ]
end
