// The MiMo JetBrains plugin. Build where the IntelliJ Platform and JetBrains Marketplace can be downloaded:
//   gradle wrapper --gradle-version 9.0.0 && ./gradlew buildPlugin   (-> build/distributions/mimo-jetbrains-*.zip)
rootProject.name = "mimo-jetbrains"

pluginManagement {
    repositories {
        gradlePluginPortal()
        mavenCentral()
    }
}
